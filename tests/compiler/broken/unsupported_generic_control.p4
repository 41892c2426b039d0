// error: generic control C<...> is not supported by softp4
control C<T>(inout T x) {
    apply { }
}
