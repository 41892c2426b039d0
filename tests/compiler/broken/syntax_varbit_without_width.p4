// error: expected '<' but found 'x'
header h_t { varbit x; }
