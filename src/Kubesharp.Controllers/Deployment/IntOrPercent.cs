using System.Globalization;
using k8s.Models;

namespace Kubesharp.Controllers.Deployment;

/// <summary>
/// apimachinery's <c>intstr.GetScaledValueFromIntOrPercent</c> and the deployment's fenceposts
/// (<c>ResolveFenceposts</c>): maxSurge rounds a percentage up, maxUnavailable rounds it down, and when
/// both come to zero maxUnavailable becomes 1 (surge might not work, say under a quota).
/// </summary>
internal static class IntOrPercent
{
    /// <summary>The value of an int, or a percentage (<c>"25%"</c>) of <paramref name="total"/> rounded up or down; null when it is neither.</summary>
    public static int? Scaled(IntOrString? value, int total, bool roundUp)
    {
        if (value?.Value is not { Length: > 0 } text)
        {
            return 0;
        }

        if (text.EndsWith('%'))
        {
            if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var percent))
            {
                return null;
            }

            var scaled = (double)percent * total / 100;
            return roundUp ? (int)Math.Ceiling(scaled) : (int)Math.Floor(scaled);
        }

        // The package writes JSON integers as their decimal text; a bare number string is an int.
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;
    }

    /// <summary>(maxSurge, maxUnavailable) for <paramref name="desired"/> replicas; (0, 0) for values validation would refuse.</summary>
    public static (int Surge, int Unavailable) ResolveFenceposts(IntOrString? maxSurge, IntOrString? maxUnavailable, int desired)
    {
        if (Scaled(maxSurge, desired, roundUp: true) is not { } surge || Scaled(maxUnavailable, desired, roundUp: false) is not { } unavailable)
        {
            return (0, 0);
        }

        if (surge == 0 && unavailable == 0)
        {
            // Validation refuses both zero, but rounding down can make maxUnavailable zero.
            unavailable = 1;
        }

        return (surge, unavailable);
    }
}
