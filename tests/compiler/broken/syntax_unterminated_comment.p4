// error: unterminated comment
/* a comment
header h_t { bit<8> x; }
