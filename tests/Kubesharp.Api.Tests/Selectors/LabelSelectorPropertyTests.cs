using System.Globalization;
using System.Text;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Tests.Selectors;

/// <summary>
/// Seeded random selectors, written with random spacing and order: each must parse, print a canonical
/// text that parses back to an equal selector, and match random label sets exactly as a naive
/// evaluator of the generated terms does. A failure names the seed and the case to replay.
/// </summary>
public sealed class LabelSelectorPropertyTests
{
    private static readonly string[] Keys = ["app", "tier", "in", "notin", "example.com/env", "a.b-c_d", "n"];
    private static readonly string[] Values = ["", "web", "db", "in", "1", "10", "007", "v.1-x_y"];
    private static readonly string[] Spaces = ["", " ", "\t", "\n", " \r "];

    private sealed record Term(string Key, string Op, string[] Values);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20240601)]
    public void Random_selectors_round_trip_and_match_like_a_reference_evaluator(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 300; round++)
        {
            var terms = Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomTerm(random)).ToList();
            var text = Write(terms, random);

            Assert.True(LabelSelector.TryParse(text, out var selector, out var error), $"seed {seed} round {round}: \"{text}\" failed: {error}");
            var canonical = selector.ToString();
            Assert.True(LabelSelector.TryParse(canonical, out var reparsed, out error), $"seed {seed} round {round}: canonical \"{canonical}\" failed: {error}");
            Assert.True(selector.Equals(reparsed), $"seed {seed} round {round}: \"{text}\" printed \"{canonical}\" which parsed to \"{reparsed}\"");
            Assert.Equal(canonical, reparsed.ToString());

            for (var probe = 0; probe < 10; probe++)
            {
                var labels = RandomLabels(random);
                var expected = terms.All(t => Reference(t, labels));
                using var stored = SelectorTestData.ObjectWithLabels(labels);
                Assert.True(expected == selector.Matches(labels), $"seed {seed} round {round}: \"{text}\" on {{{string.Join(",", labels)}}}: expected {expected}");
                Assert.True(expected == selector.Matches(stored.RootElement), $"seed {seed} round {round}: \"{text}\" on stored {{{string.Join(",", labels)}}}: expected {expected}");
            }
        }
    }

    private static Term RandomTerm(Random random)
    {
        var key = Keys[random.Next(Keys.Length)];
        var op = new[] { "=", "==", "!=", "in", "notin", "exists", "!", ">", "<" }[random.Next(9)];
        var values = op switch
        {
            "exists" or "!" => [],
            // Distinct values: v1.32 refuses "(a,,)", which two empty values in a row would write.
            "in" or "notin" => Values.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToArray(),
            ">" or "<" => [random.Next(0, 30).ToString(CultureInfo.InvariantCulture)],
            _ => [Values[random.Next(Values.Length)]],
        };
        return new Term(key, op, values);
    }

    private static string Write(List<Term> terms, Random random)
    {
        string S() => Spaces[random.Next(Spaces.Length)];
        var sb = new StringBuilder(S());
        for (var i = 0; i < terms.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(S()).Append(',').Append(S());
            }

            var t = terms[i];
            switch (t.Op)
            {
                case "exists":
                    sb.Append(t.Key);
                    break;
                case "!":
                    sb.Append('!').Append(S()).Append(t.Key);
                    break;
                case "in" or "notin":
                    // The keyword needs a space on its left (else it joins the key); "(" ends it on the right.
                    sb.Append(t.Key).Append(' ').Append(S()).Append(t.Op).Append(S()).Append('(').Append(S());
                    sb.AppendJoin(S() + "," + S(), t.Values).Append(S()).Append(')');
                    break;
                default:
                    // An empty value is written as nothing, which must then not be followed by a value-like token.
                    sb.Append(t.Key).Append(S()).Append(t.Op).Append(t.Values[0].Length == 0 ? "" : S()).Append(t.Values[0]);
                    break;
            }
        }

        return sb.Append(S()).ToString();
    }

    private static Dictionary<string, string> RandomLabels(Random random)
    {
        var labels = new Dictionary<string, string>();
        foreach (var key in Keys)
        {
            if (random.Next(3) != 0)
            {
                labels[key] = random.Next(4) == 0 ? random.Next(-5, 40).ToString(CultureInfo.InvariantCulture) : Values[random.Next(Values.Length)];
            }
        }

        return labels;
    }

    // The meaning of each operator, written plainly and apart from the implementation.
    private static bool Reference(Term t, Dictionary<string, string> labels)
    {
        var has = labels.TryGetValue(t.Key, out var value);
        return t.Op switch
        {
            "=" or "==" or "in" => has && t.Values.Contains(value),
            "!=" or "notin" => !has || !t.Values.Contains(value),
            "exists" => has,
            "!" => !has,
            ">" => has && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var g) && g > long.Parse(t.Values[0], CultureInfo.InvariantCulture),
            _ => has && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) && l < long.Parse(t.Values[0], CultureInfo.InvariantCulture),
        };
    }
}
