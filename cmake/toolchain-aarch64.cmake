# Cross-compiling q8 for aarch64 Linux with Debian's gcc-aarch64-linux-gnu; tests run under
# qemu-aarch64 (Debian qemu-user) with the cross sysroot.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
find_program(Q8_AARCH64_CXX aarch64-linux-gnu-g++)
if(Q8_AARCH64_CXX)
  set(CMAKE_CXX_COMPILER ${Q8_AARCH64_CXX})
endif()
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)
