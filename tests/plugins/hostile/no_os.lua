-- expect: load fails: undeclared global 'os'
-- 'os' is not in the sandbox.
os.execute('touch /tmp/sereg-pwned')
