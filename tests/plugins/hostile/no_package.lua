-- expect: load fails: undeclared global 'package'
-- 'package' is not in the sandbox.
local p = package.loaded
