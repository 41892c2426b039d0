// error: but found end of file
header h_t {
    bit<8> x;
