// error: an instance with abstract method implementations is not supported by softp4
extern E {
    E();
    abstract void f();
}
control C() {
    E() e = {
        void f() { }
    };
    apply { }
}
