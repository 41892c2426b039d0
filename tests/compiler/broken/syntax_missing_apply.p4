// error: control C has no apply block
control C(inout bit<8> x) {
    action a() { }
}
