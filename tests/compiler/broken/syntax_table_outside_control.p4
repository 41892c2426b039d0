// error: a table must be declared inside a control
table t { actions = { } }
