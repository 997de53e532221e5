/* import_insp.h -- `sereg import inspections` (import_insp.c). */
#ifndef sr_import_insp_h
#define sr_import_insp_h

#include <stdbool.h>

/* Records the results of the CSV file <path> as the agency of <token>, with the type plugins of
 * folder <plugins>; all or none unless <skip_invalid>. The process's exit code. */
int sr_cli_import_inspections(const char *path, bool skip_invalid, const char *token, const char *plugins);

#endif
