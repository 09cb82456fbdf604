#pragma once

#include <QIcon>
#include <QStyle>

namespace halhub {

// An icon of resources/icons/<name>.svg. Where Qt's SVG image plugin is
// missing, the style's own icon stands in so no button goes blank.
QIcon themeIcon(const QString &name, QStyle::StandardPixmap fallback);
// The application icon (resources/halhub.svg).
QIcon appIcon();

} // namespace halhub
