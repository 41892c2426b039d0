// error: header fields must be bit<W>, int<W>, varbit<W>, bool or serializable enums
header h_t {
    string s;
}
