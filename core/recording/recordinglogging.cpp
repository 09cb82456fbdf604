#include "recording/recordinglogging.h"

Q_LOGGING_CATEGORY(lcRecording, "halhub.recording", QtInfoMsg)
