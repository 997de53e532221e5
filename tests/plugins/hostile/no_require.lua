-- expect: load fails: undeclared global 'require'
-- 'require' is not in the sandbox.
require('os')
