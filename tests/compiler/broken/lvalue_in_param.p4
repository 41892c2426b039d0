// error: cannot assign to 'x': it is an 'in' parameter
control C(in bit<8> x) {
    apply {
        x = 1;
    }
}
