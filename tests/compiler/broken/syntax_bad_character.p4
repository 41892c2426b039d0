// error: unexpected character '$'
const bit<8> X = $1;
