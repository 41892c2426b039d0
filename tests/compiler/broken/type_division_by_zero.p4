// error: division by zero
const bit<8> X = 8w4 / 0;
