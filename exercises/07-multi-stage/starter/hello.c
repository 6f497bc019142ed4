/* A tiny C program: the whole app this image exists to run. */
#include <stdio.h>

int main(void)
{
    puts("Hello from a tiny multi-stage image!");
    return 0;
}
