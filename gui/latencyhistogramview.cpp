#include "latencyhistogramview.h"

#include <QCoreApplication>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace halhub {

namespace {

constexpr int kLeftMargin = 52;
constexpr int kRightMargin = 16;
constexpr int kTopMargin = 28;
constexpr int kBottomMargin = 26;

QString formatDuration(double ms)
{
    const QLocale locale;
    if (ms < 1)
        return QCoreApplication::translate("halhub::LatencyHistogramView", "%1 µs")
            .arg(locale.toString(ms * 1000, 'g', 3));
    if (ms < 1000)
        return QCoreApplication::translate("halhub::LatencyHistogramView", "%1 ms")
            .arg(locale.toString(ms, 'g', 3));
    return QCoreApplication::translate("halhub::LatencyHistogramView", "%1 s")
        .arg(locale.toString(ms / 1000, 'g', 3));
}

} // namespace

LatencyHistogramView::LatencyHistogramView(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumHeight(120);
    m_caption = tr("No telemetry yet");
}

double LatencyHistogramView::lowerEdgeMs(int bucket) const
{
    const std::vector<qint64> &bounds = LatencyHistogram::bucketBoundsUs();
    if (bucket <= 0)
        return bounds.front() / 2000.0;
    return bounds[size_t(std::min<size_t>(size_t(bucket), bounds.size()) - 1)] / 1000.0;
}

double LatencyHistogramView::upperEdgeMs(int bucket) const
{
    const std::vector<qint64> &bounds = LatencyHistogram::bucketBoundsUs();
    if (size_t(bucket) >= bounds.size())
        return bounds.back() * 2 / 1000.0;     // the overflow bucket, drawn one octave wide
    return bounds[size_t(bucket)] / 1000.0;
}

void LatencyHistogramView::setHistogram(const std::vector<qint64> &buckets,
                                        const LatencySummary &summary)
{
    m_buckets = buckets;
    m_summary = summary;
    m_total = 0;
    m_maxCount = 0;
    for (qint64 c : m_buckets) {
        m_total += c;
        m_maxCount = std::max(m_maxCount, c);
    }
    m_markers.clear();
    if (m_total > 0) {
        m_markers = {{tr("p50"), summary.p50Ms, QColor(0x2e, 0x9e, 0x44)},
                     {tr("p95"), summary.p95Ms, QColor(0xd0, 0x8a, 0x10)},
                     {tr("p99"), summary.p99Ms, QColor(0xc8, 0x2a, 0x2a)}};
        m_caption = tr("%n frame(s) in the last minute · avg %1 · max %2", nullptr, int(m_total))
                        .arg(formatDuration(summary.avgMs), formatDuration(summary.maxMs));
    } else {
        m_caption = tr("No telemetry in the last minute");
    }
    updateRange();
    update();
}

void LatencyHistogramView::setMarkers(const QList<Marker> &markers, const QString &caption)
{
    m_markers = markers;
    if (!caption.isEmpty())
        m_caption = caption;
    updateRange();
    update();
}

qint64 LatencyHistogramView::countAt(double ms) const
{
    const int bucket = LatencyHistogram::bucketFor(qint64(std::llround(ms * 1000)));
    return bucket >= 0 && size_t(bucket) < m_buckets.size() ? m_buckets[size_t(bucket)] : 0;
}

void LatencyHistogramView::updateRange()
{
    double low = -1;
    double high = -1;
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        if (m_buckets[i] == 0)
            continue;
        if (low < 0)
            low = lowerEdgeMs(int(i));
        high = upperEdgeMs(int(i));
    }
    for (const Marker &m : std::as_const(m_markers)) {
        if (m.ms <= 0)
            continue;
        low = low < 0 ? m.ms : std::min(low, m.ms);
        high = std::max(high, m.ms);
    }
    if (low <= 0) {
        low = 0.01;
        high = 100;
    }
    // Whole decades, at least three, so the axis does not jump with every bar.
    double lowExp = std::floor(std::log10(low));
    double highExp = std::ceil(std::log10(high));
    if (highExp - lowExp < 3) {
        const double pad = 3 - (highExp - lowExp);
        lowExp -= std::floor(pad / 2);
        highExp += std::ceil(pad / 2);
    }
    m_lowMs = std::pow(10.0, lowExp);
    m_highMs = std::pow(10.0, highExp);
}

QRectF LatencyHistogramView::plotArea() const
{
    return QRectF(kLeftMargin, kTopMargin, std::max(10, width() - kLeftMargin - kRightMargin),
                  std::max(10, height() - kTopMargin - kBottomMargin));
}

double LatencyHistogramView::xForMs(double ms) const
{
    const QRectF area = plotArea();
    const double clamped = std::clamp(ms, m_lowMs, m_highMs);
    const double t = (std::log10(clamped) - std::log10(m_lowMs))
        / (std::log10(m_highMs) - std::log10(m_lowMs));
    return area.left() + t * area.width();
}

QRectF LatencyHistogramView::barRect(double ms) const
{
    const int bucket = LatencyHistogram::bucketFor(qint64(std::llround(ms * 1000)));
    const QRectF area = plotArea();
    const qint64 count = bucket >= 0 && size_t(bucket) < m_buckets.size() ? m_buckets[size_t(bucket)] : 0;
    if (count == 0 || m_maxCount == 0)
        return {};
    const double left = xForMs(lowerEdgeMs(bucket));
    const double right = xForMs(upperEdgeMs(bucket));
    const double h = area.height() * double(count) / double(m_maxCount);
    return QRectF(left, area.bottom() - h, std::max(1.0, right - left), h);
}

QSize LatencyHistogramView::sizeHint() const
{
    return {420, 220};
}

QSize LatencyHistogramView::minimumSizeHint() const
{
    return {200, 120};
}

void LatencyHistogramView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    update();
}

void LatencyHistogramView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QRectF area = plotArea();
    const QFontMetrics fm(font());

    // Caption
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QRectF(8, 4, width() - 16, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(m_caption, Qt::ElideRight, width() - 16));

    // Decade grid and labels
    const QColor gridColor = pal.color(QPalette::Mid);
    for (double d = m_lowMs; d <= m_highMs * 1.0001; d *= 10) {
        const double x = xForMs(d);
        p.setPen(QPen(gridColor, 1, Qt::DotLine));
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        p.setPen(pal.color(QPalette::Text));
        const QString label = formatDuration(d);
        const int w = fm.horizontalAdvance(label);
        p.drawText(QPointF(std::clamp(x - w / 2.0, 0.0, double(width() - w)),
                           area.bottom() + fm.ascent() + 6),
                   label);
    }
    // Count axis: zero and the tallest bar.
    p.setPen(pal.color(QPalette::Text));
    p.drawLine(area.bottomLeft(), area.bottomRight());
    p.drawLine(area.bottomLeft(), area.topLeft());
    const QString maxLabel = QLocale().toString(m_maxCount);
    p.drawText(QRectF(0, area.top() - fm.height() / 2.0, kLeftMargin - 6, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, maxLabel);
    p.drawText(QRectF(0, area.bottom() - fm.height() / 2.0, kLeftMargin - 6, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("0"));

    // Bars
    const QColor barColor(0x3f, 0x7f, 0xc8);
    p.setPen(Qt::NoPen);
    p.setBrush(barColor);
    for (size_t i = 0; i < m_buckets.size() && m_maxCount > 0; ++i) {
        if (m_buckets[i] == 0)
            continue;
        const double left = xForMs(lowerEdgeMs(int(i)));
        const double right = xForMs(upperEdgeMs(int(i)));
        const double h = std::max(1.0, area.height() * double(m_buckets[i]) / double(m_maxCount));
        p.drawRect(QRectF(left, area.bottom() - h, std::max(1.0, right - left - 0.5), h));
    }

    // Percentile markers; labels in lanes from the top so close ones stay readable.
    // Every line first, then the labels over them, so that no marker's line
    // runs through another's label.
    p.setRenderHint(QPainter::Antialiasing, true);
    for (const Marker &m : std::as_const(m_markers)) {
        if (m.ms <= 0)
            continue;
        const double x = xForMs(m.ms);
        p.setPen(QPen(m.color, 1.5, Qt::DashLine));
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
    }
    int lane = 0;
    for (const Marker &m : std::as_const(m_markers)) {
        if (m.ms <= 0)
            continue;
        const double x = xForMs(m.ms);
        const QString label = tr("%1 %2").arg(m.label, formatDuration(m.ms));
        const double w = fm.horizontalAdvance(label) + 8;
        const double y = area.top() + 2 + lane * (fm.height() + 3);
        // Right of the line, unless that would leave the plot.
        const double left = x + 3 + w > area.right() ? x - 3 - w : x + 3;
        const QRectF box(left, y, w, fm.height() + 1);
        p.setPen(Qt::NoPen);
        p.setBrush(m.color);
        p.drawRoundedRect(box, 3, 3);
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter, label);
        ++lane;
    }
}

} // namespace halhub
