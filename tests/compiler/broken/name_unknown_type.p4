// error: unknown type 'foo_t'
struct s_t {
    foo_t f;
}
