#pragma once

#include <QLoggingCategory>

// halhub.recording: recordings started, stopped, failing or losing samples,
// and files the replay plugin cannot play.
Q_DECLARE_LOGGING_CATEGORY(lcRecording)
