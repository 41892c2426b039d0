// error: expected a state name or 'select' but found '{'
#include <core.p4>
parser P(packet_in p) {
    state start {
        transition { }
    }
}
