// FFTW 3 (libfftw3-dev), double precision; wrapped once, in Sources/Homogen/FFT/.
#include <fftw3.h>
