/* script_cmd.h -- `sereg script` (script_cmd.c). */
#ifndef sr_script_cmd_h
#define sr_script_cmd_h

/* Runs `sereg script ...` (argv[1] is "script") with <plugins> the folder of plugins when neither
 * --plugins nor SEREG_PLUGIN_DIR names one; the process's exit code. */
int sr_cli_script(int argc, char **argv, const char *plugins);

#endif
