/* account_cmd.h -- `sereg account create|password|disable|enable|reset|list`: the accounts people
 * log in with. A password comes from standard input (--password-stdin), never the command line,
 * where other users of the machine would see it. */
#ifndef sr_account_cmd_h
#define sr_account_cmd_h

/* Runs `sereg account ...` (argv as main's). The exit status: 0 done, 1 refused or failed, 2 a
 * bad command line. */
int sr_cli_account(int argc, char **argv);

#endif
