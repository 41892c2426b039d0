// error: width must be a compile-time integer constant
struct s_t { bit<8> a; }
control C(inout s_t s) {
    apply {
        bit<(s.a)> x;
    }
}
