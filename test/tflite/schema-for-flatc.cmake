# Copies the TFLite schema (IN) to OUT in the form Debian's flatc 2.0.8 accepts, for
# tflite/test-verifier: `cmake -DIN=schema.fbs -DOUT=copy.fbs -P schema-for-flatc.cmake`.
# flatc 2.0.8 rejects attributes on enum values and union members ("REDUCE_WINDOW = 205
# (deprecated)," stops it with "expecting: } instead got: ("), so exactly those ` (deprecated)`
# are dropped; that changes no value or slot. The attribute on fields and tables stays: flatc
# 2.0.8 handles it as upstream does (a deprecated field keeps its slot, loses its accessors).
file(READ "${IN}" text)
string(REGEX REPLACE "[ \t]*\\(deprecated\\)([ \t]*[,\r\n])" "\\1" text "${text}")
file(WRITE "${OUT}" "${text}")
