// error: field 'x' is declared twice in h_t
header h_t {
    bit<8> x;
    bit<16> x;
}
