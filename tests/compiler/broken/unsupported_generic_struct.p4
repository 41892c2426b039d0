// error: generic S<...> is not supported by softp4
struct S<T> {
    T f;
}
