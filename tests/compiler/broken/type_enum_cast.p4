// error: cannot cast a value of type Dir to bit<8>
enum Dir { IN, OUT }
const bit<8> X = (bit<8>)Dir.IN;
