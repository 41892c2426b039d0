// error: enum Color has no member 'BLUE'
enum Color { RED, GREEN }
const Color C = Color.BLUE;
