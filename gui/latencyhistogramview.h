#pragma once

#include "metrics/latencyhistogram.h"

#include <QColor>
#include <QList>
#include <QWidget>

#include <vector>

namespace halhub {

// The Latency dock's chart: sample-to-socket-write latency as bars over a
// logarithmic time axis (the buckets of LatencyHistogram), with percentile
// markers. Painted by hand: it redraws at the window's refresh rate and
// needs nothing of a chart library.
class LatencyHistogramView final : public QWidget
{
    Q_OBJECT
public:
    struct Marker
    {
        QString label;      // p50, p95, ...
        double ms = 0;
        QColor color;
    };

    explicit LatencyHistogramView(QWidget *parent = nullptr);

    // Counts per bucket as LatencyHistogram::windowBuckets() gives them; the
    // markers become the summary's p50, p95 and p99.
    void setHistogram(const std::vector<qint64> &buckets, const LatencySummary &summary);
    // Replaces the markers (one stream's own percentiles) and the caption.
    void setMarkers(const QList<Marker> &markers, const QString &caption = {});

    qint64 totalCount() const { return m_total; }
    // What the bar under a latency shows.
    qint64 countAt(double ms) const;
    QList<Marker> markers() const { return m_markers; }
    QString caption() const { return m_caption; }

    // Geometry, for hit tests: where a latency sits on the axis, and a bar.
    double xForMs(double ms) const;
    QRectF barRect(double ms) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateRange();
    QRectF plotArea() const;
    double lowerEdgeMs(int bucket) const;
    double upperEdgeMs(int bucket) const;

    std::vector<qint64> m_buckets;
    qint64 m_total = 0;
    qint64 m_maxCount = 0;
    LatencySummary m_summary;
    QList<Marker> m_markers;
    QString m_caption;
    double m_lowMs = 0.01;      // axis range, whole decades
    double m_highMs = 100;
};

} // namespace halhub
