using System.Globalization;
using System.Numerics;

namespace Kubesharp.Api.Quantities;

public readonly partial struct Quantity
{
    private static readonly Dictionary<string, int> DecimalSuffixes = new(StringComparer.Ordinal)
    {
        ["n"] = -9,
        ["u"] = -6,
        ["m"] = -3,
        [""] = 0,
        ["k"] = 3,
        ["M"] = 6,
        ["G"] = 9,
        ["T"] = 12,
        ["P"] = 15,
        ["E"] = 18,
    };

    private static readonly Dictionary<string, int> BinarySuffixes = new(StringComparer.Ordinal)
    {
        ["Ki"] = 10,
        ["Mi"] = 20,
        ["Gi"] = 30,
        ["Ti"] = 40,
        ["Pi"] = 50,
        ["Ei"] = 60,
    };

    /// <summary>
    /// Upstream's <c>parseQuantityString</c>: sign, digits (leading zeros dropped), an optional fraction, then
    /// a suffix of <c>[eEinumkKMGTP]*</c> optionally followed by a signed integer. Its quirks are kept: a lone
    /// sign, a lone dot or a lone suffix reads as zero.
    /// </summary>
    private static bool TrySplit(string s, out bool positive, out string num, out string denom, out string suffix)
    {
        positive = true;
        num = "0";
        denom = "";
        suffix = "";
        var pos = 0;
        var end = s.Length;
        if (s[0] == '-')
        {
            positive = false;
            pos++;
        }
        else if (s[0] == '+')
        {
            pos++;
        }

        while (pos < end && s[pos] == '0')
        {
            pos++;
        }

        if (pos >= end)
        {
            return true;
        }

        var start = pos;
        while (pos < end && char.IsAsciiDigit(s[pos]))
        {
            pos++;
        }

        if (pos > start)
        {
            num = s[start..pos];
        }

        if (pos >= end)
        {
            return true;
        }

        if (s[pos] == '.')
        {
            pos++;
            start = pos;
            while (pos < end && char.IsAsciiDigit(s[pos]))
            {
                pos++;
            }

            denom = s[start..pos];
            if (pos >= end)
            {
                return true;
            }
        }

        var suffixStart = pos;
        while (pos < end && "eEinumkKMGTP".Contains(s[pos], StringComparison.Ordinal))
        {
            pos++;
        }

        if (pos < end && s[pos] is '-' or '+')
        {
            pos++;
        }

        while (pos < end && char.IsAsciiDigit(s[pos]))
        {
            pos++;
        }

        suffix = s[suffixStart..];
        return pos >= end;
    }

    private static bool TryInterpret(string suffix, out bool binary, out int exponent, out QuantityFormat format)
    {
        binary = false;
        format = QuantityFormat.DecimalSI;
        if (DecimalSuffixes.TryGetValue(suffix, out exponent))
        {
            return true;
        }

        if (BinarySuffixes.TryGetValue(suffix, out exponent))
        {
            binary = true;
            format = QuantityFormat.BinarySI;
            return true;
        }

        format = QuantityFormat.DecimalExponent;
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E'
            && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            // Go converts the parsed int64 to int32 without a check.
            exponent = unchecked((int)parsed);
            return true;
        }

        exponent = 0;
        return false;
    }

    /// <summary>
    /// Upstream's int64 fast path: when it applies, the <c>int64Amount</c> upstream holds (unsigned here).
    /// </summary>
    private static (long Value, int Scale)? FastPath(string num, string denom, int exponent, bool binary)
    {
        var shifted = num + denom;
        if (binary)
        {
            var precision = exponent >= 0 && denom.Length == 0 ? 15 - num.Length - (int)((float)exponent * 3 / 10) - 1 : -1;
            if (precision < 0 || !long.TryParse(shifted, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                || exponent >= 63 || value > (long.MaxValue >> exponent))
            {
                return null;
            }

            return (value << exponent, 0);
        }

        var scale = exponent - denom.Length;
        if (18 - shifted.Length < 0 || scale < -9 || !long.TryParse(shifted, NumberStyles.None, CultureInfo.InvariantCulture, out var digits))
        {
            return null;
        }

        return (digits, scale);
    }

    /// <summary>
    /// Whether upstream's int64 fast path applies and judges the text canonical, in which case upstream keeps
    /// the text as given (so <c>+1</c> and <c>1.500</c> print as written).
    /// </summary>
    private static bool KeepsText(string num, string denom, int exponent, bool binary)
    {
        var shifted = num + denom;
        if (binary)
        {
            if (exponent < 0 || denom.Length != 0)
            {
                return false;
            }

            var precision = 15 - num.Length - (int)((float)exponent * 3 / 10) - 1;
            if (precision < 0 || !long.TryParse(shifted, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            var fits = exponent < 63 && value <= (long.MaxValue >> exponent);
            return fits && exponent % 10 == 0 && (value & 0x07) != 0;
        }

        var decimalPrecision = 18 - (num.Length + denom.Length);
        var scale = exponent - denom.Length;
        return decimalPrecision >= 0 && scale >= -9 && scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0';
    }

    /// <summary>Upstream's <c>CanonicalizeBytes</c>.</summary>
    private string Canonical()
    {
        if (IsZero)
        {
            return "0";
        }

        var format = Format;
        if (format == QuantityFormat.BinarySI)
        {
            if (Compare(BigInteger.Abs(_unscaled), _scale, 1024, 0) < 0 || !IsInteger(out _))
            {
                format = QuantityFormat.DecimalSI;
            }
        }

        if (format == QuantityFormat.BinarySI)
        {
            IsInteger(out var whole);
            var times = 0;
            var amount = BigInteger.Abs(whole);
            while (amount >= 1024 && (amount % 1024).IsZero)
            {
                amount /= 1024;
                times++;
            }

            var binarySuffix = BinarySuffixes.FirstOrDefault(p => p.Value == times * 10).Key ?? (times == 0 ? "" : null);
            return (whole.Sign < 0 ? "-" : "") + amount.ToString(CultureInfo.InvariantCulture) + binarySuffix;
        }

        var mantissa = _unscaled;
        var exponent = _scale;
        while (!mantissa.IsZero && (mantissa % 10).IsZero)
        {
            mantissa /= 10;
            exponent++;
        }

        while (exponent % 3 != 0)
        {
            mantissa *= 10;
            exponent--;
        }

        var number = mantissa.ToString(CultureInfo.InvariantCulture);
        if (format == QuantityFormat.DecimalExponent)
        {
            return exponent == 0 ? number : number + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }

        // Upstream writes no suffix at all when none fits (beyond E or below n): kept as it does.
        return number + (DecimalSuffixes.FirstOrDefault(p => p.Value == exponent).Key ?? "");
    }

    private bool IsInteger(out BigInteger whole)
    {
        if (_scale >= 0)
        {
            whole = _unscaled * BigInteger.Pow(10, _scale);
            return true;
        }

        whole = BigInteger.DivRem(_unscaled, BigInteger.Pow(10, -_scale), out var remainder);
        return remainder.IsZero;
    }
}
