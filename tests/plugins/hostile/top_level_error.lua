-- expect: load fails: boom
-- An error at the top level names its text.
error('boom')
