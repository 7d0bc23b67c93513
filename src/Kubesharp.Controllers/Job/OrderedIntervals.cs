using System.Globalization;
using System.Text;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// A set of completion indexes as sorted, disjoint, non-adjacent intervals: upstream's <c>orderedIntervals</c>,
/// whose text form is <c>status.completedIndexes</c> (<c>"1,3-5,7"</c>; two adjacent indexes print as <c>"1,2"</c>).
/// Immutable.
/// </summary>
internal sealed class OrderedIntervals
{
    public static readonly OrderedIntervals Empty = new([]);

    private readonly List<(int First, int Last)> _intervals;

    private OrderedIntervals(List<(int First, int Last)> intervals) => _intervals = intervals;

    public IReadOnlyList<(int First, int Last)> Intervals => _intervals;

    /// <summary>Number of indexes.</summary>
    public int Total => _intervals.Sum(i => i.Last - i.First + 1);

    /// <summary>
    /// Upstream's <c>parseIndexesFromString</c>: intervals at or past <paramref name="completions"/> are dropped or cut;
    /// unparsable pieces are skipped.
    /// </summary>
    public static OrderedIntervals Parse(string? text, int completions)
    {
        var result = new List<(int First, int Last)>();
        if (string.IsNullOrEmpty(text))
        {
            return new OrderedIntervals(result);
        }

        foreach (var piece in text.Split(','))
        {
            var limits = piece.Split('-');
            if (!int.TryParse(limits[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var first))
            {
                continue;
            }

            if (first >= completions)
            {
                break;
            }

            var last = first;
            if (limits.Length > 1)
            {
                if (!int.TryParse(limits[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out last))
                {
                    continue;
                }

                last = Math.Min(last, completions - 1);
            }

            if (result.Count > 0 && result[^1].Last == first - 1)
            {
                result[^1] = (result[^1].First, last);
            }
            else
            {
                result.Add((first, last));
            }
        }

        return new OrderedIntervals(result);
    }

    /// <summary>Upstream's <c>withOrderedIndexes</c>: these intervals plus <paramref name="indexes"/> (sorted ascending), merged.</summary>
    public OrderedIntervals With(IReadOnlyList<int> indexes)
    {
        var result = new List<(int First, int Last)>();
        void Append((int First, int Last) next)
        {
            if (result.Count == 0 || next.First > result[^1].Last + 1)
            {
                result.Add(next);
            }
            else if (result[^1].Last < next.Last)
            {
                result[^1] = (result[^1].First, next.Last);
            }
        }

        int i = 0, j = 0;
        while (i < _intervals.Count && j < indexes.Count)
        {
            if (_intervals[i].First < indexes[j])
            {
                Append(_intervals[i++]);
            }
            else
            {
                Append((indexes[j], indexes[j]));
                j++;
            }
        }

        for (; i < _intervals.Count; i++)
        {
            Append(_intervals[i]);
        }

        for (; j < indexes.Count; j++)
        {
            Append((indexes[j], indexes[j]));
        }

        return new OrderedIntervals(result);
    }

    public bool Has(int index)
    {
        int lo = 0, hi = _intervals.Count;
        while (hi > lo)
        {
            var mid = lo + ((hi - lo) / 2);
            if (_intervals[mid].Last >= index)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return hi < _intervals.Count && _intervals[hi].First <= index;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var (first, last) in _intervals)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(first.ToString(CultureInfo.InvariantCulture));
            if (last > first)
            {
                sb.Append(last == first + 1 ? ',' : '-').Append(last.ToString(CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
