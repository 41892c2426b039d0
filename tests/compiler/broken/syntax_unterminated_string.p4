// error: unterminated string literal
@name("abc)
header h_t { bit<8> x; }
