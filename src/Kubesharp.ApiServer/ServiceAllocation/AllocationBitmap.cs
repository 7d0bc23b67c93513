namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// Upstream's <c>allocator.AllocationBitmap</c> with the random-scan-with-offset strategy: one bit per item of a
/// range of <see cref="Size"/> items. Dynamic allocation picks a random free item in the upper band
/// <c>[Offset, Size)</c> first and falls back to the lower band <c>[0, Offset)</c>, which is left to requested
/// (static) values as long as the upper band has room.
/// </summary>
/// <remarks>
/// Not thread-safe: each allocation works on its own copy restored from the stored snapshot. The snapshot
/// is upstream's <c>RangeAllocation.data</c>: the bitmap as a big-endian integer whose bit <c>i</c> is item
/// <c>i</c>, without leading zero bytes.
/// </remarks>
internal sealed class AllocationBitmap
{
    private readonly byte[] _bits;

    public AllocationBitmap(int size, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Size = size;
        Offset = offset is > 0 && offset < size ? offset : 0;
        _bits = new byte[(size + 7) / 8];
    }

    /// <summary>The number of items.</summary>
    public int Size { get; }

    /// <summary>Where the upper band (preferred for dynamic allocation) starts.</summary>
    public int Offset { get; }

    public int Count { get; private set; }

    public int Free => Size - Count;

    public bool Has(int item) => item >= 0 && item < Size && (_bits[item >> 3] & (1 << (item & 7))) != 0;

    /// <summary>Marks <paramref name="item"/> used; false when it already was or lies outside the range.</summary>
    public bool Allocate(int item)
    {
        if (item < 0 || item >= Size || Has(item))
        {
            return false;
        }

        _bits[item >> 3] |= (byte)(1 << (item & 7));
        Count++;
        return true;
    }

    /// <summary>Frees <paramref name="item"/>; freeing a free or out-of-range item does nothing.</summary>
    public void Release(int item)
    {
        if (!Has(item))
        {
            return;
        }

        _bits[item >> 3] &= (byte)~(1 << (item & 7));
        Count--;
    }

    /// <summary>A random free item, upper band first; null when the range is full.</summary>
    public int? AllocateNext(Random random)
    {
        if (Count >= Size)
        {
            return null;
        }

        var upper = Size - Offset;
        var start = random.Next(upper);
        for (var i = 0; i < upper; i++)
        {
            var at = Offset + ((start + i) % upper);
            if (Allocate(at))
            {
                return at;
            }
        }

        if (Offset > 0)
        {
            start = random.Next(Offset);
            for (var i = 0; i < Offset; i++)
            {
                var at = (start + i) % Offset;
                if (Allocate(at))
                {
                    return at;
                }
            }
        }

        return null;
    }

    public IEnumerable<int> Items()
    {
        for (var i = 0; i < Size; i++)
        {
            if (Has(i))
            {
                yield return i;
            }
        }
    }

    /// <summary>The bitmap as upstream stores it: big-endian, bit <c>i</c> = item <c>i</c>, no leading zero bytes.</summary>
    public byte[] Snapshot()
    {
        var last = _bits.Length - 1;
        while (last >= 0 && _bits[last] == 0)
        {
            last--;
        }

        var data = new byte[last + 1];
        for (var i = 0; i <= last; i++)
        {
            data[last - i] = _bits[i];
        }

        return data;
    }

    /// <summary>A bitmap from a snapshot; bits past <paramref name="size"/> (a range that shrank) are dropped.</summary>
    public static AllocationBitmap Restore(int size, int offset, ReadOnlySpan<byte> data)
    {
        var bitmap = new AllocationBitmap(size, offset);
        for (var i = 0; i < data.Length; i++)
        {
            var value = data[data.Length - 1 - i];
            for (var bit = 0; bit < 8 && value != 0; bit++)
            {
                if ((value & (1 << bit)) != 0)
                {
                    bitmap.Allocate((i * 8) + bit);
                }
            }
        }

        return bitmap;
    }
}
