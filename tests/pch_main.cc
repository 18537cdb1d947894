// The target that compiles the test programs' precompiled header (tests/CMakeLists.txt); the
// header is its point, this file only gives the executable a body.
int main() { return 0; }
