/* plugins_cmd.h -- `sereg plugins check|diff|apply-due`: a plugin folder checked, a rule change
 * replayed over the register before it is live, and the stored due dates brought in line with
 * the rule in force after it is. */
#ifndef sr_plugins_cmd_h
#define sr_plugins_cmd_h

/* Runs `sereg plugins ...` (argv as main's); <active_dir> is the active plugin folder as every
 * command finds it (--plugins, SEREG_PLUGIN_DIR, the default). The exit status. */
int sr_cli_plugins(int argc, char **argv, const char *active_dir);

#endif
