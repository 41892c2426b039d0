// error: malformed integer literal '0xZZ'
const bit<8> X = 0xZZ;
