using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Kubesharp.Api.Quantities;

/// <summary>
/// A Kubernetes resource quantity (<c>100m</c>, <c>1Gi</c>, <c>1e3</c>, <c>0.5</c>), parsed strictly as upstream's
/// <c>resource.ParseQuantity</c> accepts it and printed as its <c>String()</c> prints it. The value is exact
/// (an arbitrary integer times a power of ten), rounded up to a billionth as upstream rounds, and binary
/// quantities are capped at 2^63-1 as upstream caps them. Immutable and thread-safe.
/// </summary>
public readonly partial struct Quantity : IComparable<Quantity>, IEquatable<Quantity>
{
    /// <summary>Upstream's <c>ErrFormatWrong</c>.</summary>
    public const string FormatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    /// <summary>Upstream's <c>ErrSuffix</c>.</summary>
    public const string SuffixError = "unable to parse quantity's suffix";

    /// <summary>Upstream's <c>ErrNumeric</c>.</summary>
    public const string NumericError = "unable to parse numeric part of quantity";

    private static readonly BigInteger MaxAllowed = long.MaxValue;

    // The value is _unscaled * 10^_scale.
    private readonly BigInteger _unscaled;
    private readonly int _scale;
    private readonly string? _text;
    private readonly long? _int64Value;
    private readonly int _int64Scale;

    private Quantity(BigInteger unscaled, int scale, QuantityFormat format, string? text, (long Value, int Scale)? int64 = null)
    {
        _unscaled = unscaled;
        _scale = scale;
        Format = format;
        _text = text;
        _int64Value = int64?.Value;
        _int64Scale = int64?.Scale ?? 0;
    }

    public QuantityFormat Format { get; }

    public bool IsZero => _unscaled.IsZero;

    /// <summary>-1, 0 or 1.</summary>
    public int Sign => _unscaled.Sign;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with upstream's message when it is not a quantity.</summary>
    public static Quantity Parse(string text) =>
        TryParse(text, out var q, out var error) ? q : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/> as upstream does; <paramref name="error"/> is upstream's message when it fails.</summary>
    public static bool TryParse(string text, out Quantity quantity, [NotNullWhen(false)] out string? error)
    {
        quantity = default;
        error = null;
        if (text.Length == 0)
        {
            error = FormatError;
            return false;
        }

        if (text == "0")
        {
            quantity = new Quantity(BigInteger.Zero, 0, QuantityFormat.DecimalSI, text, (0, 0));
            return true;
        }

        if (!TrySplit(text, out var positive, out var num, out var denom, out var suffix))
        {
            error = FormatError;
            return false;
        }

        if (!TryInterpret(suffix, out var binary, out var exponent, out var format))
        {
            error = SuffixError;
            return false;
        }

        var digits = BigInteger.Parse(num + denom, System.Globalization.CultureInfo.InvariantCulture);
        var scale = -denom.Length;
        if (binary)
        {
            digits <<= exponent;
        }
        else
        {
            scale += exponent;
        }

        if (!positive)
        {
            digits = -digits;
        }

        var fast = FastPath(num, denom, exponent, binary);
        var keep = fast is not null && KeepsText(num, denom, exponent, binary) ? text : null;
        if (scale < -9 && !digits.IsZero)
        {
            // Upstream rounds a non-zero value up (away from zero) to the smallest amount it can hold, 1n.
            var drop = -9 - scale;
            if (drop > DigitCount(digits))
            {
                digits = digits.Sign;
            }
            else
            {
                var quotient = BigInteger.DivRem(digits, BigInteger.Pow(10, drop), out var remainder);
                digits = remainder.IsZero ? quotient : quotient + digits.Sign;
            }

            scale = -9;
        }

        if (binary && keep is null)
        {
            if (Compare(BigInteger.Abs(digits), scale, MaxAllowed, 0) > 0)
            {
                digits = positive ? MaxAllowed : -MaxAllowed;
                scale = 0;
            }
            else if (Compare(BigInteger.Abs(digits), scale, BigInteger.One, 0) < 0)
            {
                format = QuantityFormat.DecimalSI;
            }
        }

        quantity = new Quantity(digits, scale, format, keep, fast is { } f ? (positive ? f.Value : -f.Value, f.Scale) : null);
        return true;
    }

    /// <summary>Upstream's <c>Cmp</c>: the exact values compared.</summary>
    public int CompareTo(Quantity other) => Compare(_unscaled, _scale, other._unscaled, other._scale);

    public bool Equals(Quantity other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is Quantity q && Equals(q);

    public override int GetHashCode()
    {
        var (m, e) = Normalized(_unscaled, _scale);
        return HashCode.Combine(m, e);
    }

    public static bool operator ==(Quantity a, Quantity b) => a.Equals(b);

    public static bool operator !=(Quantity a, Quantity b) => !a.Equals(b);

    public static bool operator <(Quantity a, Quantity b) => a.CompareTo(b) < 0;

    public static bool operator >(Quantity a, Quantity b) => a.CompareTo(b) > 0;

    public static bool operator <=(Quantity a, Quantity b) => a.CompareTo(b) <= 0;

    public static bool operator >=(Quantity a, Quantity b) => a.CompareTo(b) >= 0;

    /// <summary>Upstream's <c>ScaledValue(scale)</c>: ceil(value / 10^scale), clamped to the int64 range.</summary>
    public long ScaledValue(int scale)
    {
        var shift = (long)_scale - scale;
        if (_unscaled.IsZero)
        {
            return 0;
        }

        // Exponents reach ±10^9: decide the far cases without building the power of ten.
        var digits = BigInteger.Abs(_unscaled).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        if (shift + digits > 20)
        {
            return _unscaled.Sign > 0 ? long.MaxValue : long.MinValue;
        }

        if (shift + digits < 0)
        {
            // |value| < 1 at this scale: rounded up, a positive value is 1, a negative one 0.
            return _unscaled.Sign > 0 ? 1 : 0;
        }

        BigInteger scaled;
        if (shift >= 0)
        {
            scaled = _unscaled * BigInteger.Pow(10, (int)shift);
        }
        else
        {
            scaled = BigInteger.DivRem(_unscaled, BigInteger.Pow(10, (int)-shift), out var remainder);
            if (remainder.Sign > 0)
            {
                scaled += 1;
            }
        }

        return scaled > long.MaxValue ? long.MaxValue : scaled < long.MinValue ? long.MinValue : (long)scaled;
    }

    /// <summary>Upstream's <c>Value()</c>: the value rounded up to a whole number.</summary>
    public long Value() => ScaledValue(0);

    /// <summary>Upstream's <c>MilliValue()</c>: the value in thousandths, rounded up.</summary>
    public long MilliValue() => ScaledValue(-3);

    /// <summary>
    /// Whether upstream's <c>MilliValue() % 1000 == 0</c> holds: the value, rounded up to thousandths, is whole.
    /// Upstream's test for resources that must be integers.
    /// </summary>
    public bool IsWholeAtMilliPrecision()
    {
        if (_scale >= 0 || _unscaled.IsZero)
        {
            return true;
        }

        var shift = _scale + 3;
        if (shift < 0 && -(long)shift > BigInteger.Abs(_unscaled).ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
        {
            // Less than a thousandth (exponents reach -10^9: no power of ten is built): a positive value rounds up
            // to one thousandth, which is not whole; a negative one rounds up to zero, which is.
            return _unscaled.Sign < 0;
        }

        var milli = shift >= 0
            ? _unscaled * BigInteger.Pow(10, shift)
            : BigInteger.DivRem(_unscaled, BigInteger.Pow(10, -shift), out var remainder) + (remainder.Sign > 0 ? 1 : 0);
        return (milli % 1000).IsZero;
    }

    /// <summary>
    /// Go's <c>%#v</c> of upstream's <c>resource.Quantity</c> struct, as its field errors print a Quantity passed by
    /// value. A value upstream holds as an <c>inf.Dec</c> shows a pointer there, whose address is not reproducible.
    /// </summary>
    public string GoSyntax()
    {
        var format = Selectors.GoText.Quote(Format.ToString());
        var text = Selectors.GoText.Quote(_text ?? "");
        return _int64Value is { } value
            ? $"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{_int64Scale}}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{text}, Format:{format}}}"
            : $"resource.Quantity{{i:resource.int64Amount{{value:0, scale:0}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(0xc000000000)}}, s:{text}, Format:{format}}}";
    }

    /// <summary>Upstream's <c>String()</c>: the text it was parsed from when upstream keeps it, else the canonical form.</summary>
    public override string ToString() => _text ?? Canonical();

    private static int Compare(BigInteger a, int aScale, BigInteger b, int bScale)
    {
        if (a.Sign != b.Sign)
        {
            return a.Sign.CompareTo(b.Sign);
        }

        if (a.IsZero)
        {
            return 0;
        }

        if (Math.Abs((long)aScale - bScale) <= 36)
        {
            return aScale > bScale
                ? (a * BigInteger.Pow(10, aScale - bScale)).CompareTo(b)
                : a.CompareTo(b * BigInteger.Pow(10, bScale - aScale));
        }

        // Orders of magnitude first, so that an exponent such as 1e999999999 never builds a huge number.
        var aMagnitude = (long)DigitCount(a) + aScale;
        var bMagnitude = (long)DigitCount(b) + bScale;
        if (aMagnitude != bMagnitude)
        {
            return aMagnitude.CompareTo(bMagnitude) * a.Sign;
        }

        return aScale > bScale
            ? (a * BigInteger.Pow(10, aScale - bScale)).CompareTo(b)
            : a.CompareTo(b * BigInteger.Pow(10, bScale - aScale));
    }

    private static int DigitCount(BigInteger value) =>
        value.IsZero ? 1 : BigInteger.Abs(value).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;

    private static (BigInteger Mantissa, int Exponent) Normalized(BigInteger value, int exponent)
    {
        if (value.IsZero)
        {
            return (value, 0);
        }

        while (BigInteger.Remainder(value, 10).IsZero)
        {
            value /= 10;
            exponent++;
        }

        return (value, exponent);
    }
}
