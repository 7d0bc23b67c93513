using System.Text;

namespace Kubesharp.Kubelet.Env;

/// <summary>
/// Upstream's <c>$(VAR)</c> expansion (<c>third_party/forked/golang/expansion</c>), used for env values, command, args and
/// <c>subPathExpr</c>: <c>$(NAME)</c> is replaced by the mapping's value, <c>$$</c> is an escaped <c>$</c>, an unclosed
/// <c>$(</c> and any other <c>$x</c> are kept as written. Stateless and thread-safe.
/// </summary>
public static class Expansion
{
    /// <summary>Expands <paramref name="input"/>; <paramref name="mapping"/> answers a name (and may keep <c>$(NAME)</c> for unknown ones).</summary>
    public static string Expand(string input, Func<string, string> mapping)
    {
        var buf = new StringBuilder(input.Length);
        var checkpoint = 0;
        for (var cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length)
            {
                continue;
            }

            buf.Append(input, checkpoint, cursor - checkpoint);
            var (read, isVar, advance) = TryReadVariableName(input.AsSpan(cursor + 1));
            buf.Append(isVar ? mapping(read) : read);
            cursor += advance;
            checkpoint = cursor + 1;
        }

        return buf.Append(input, checkpoint, input.Length - checkpoint).ToString();
    }

    /// <summary>
    /// Upstream's <c>MappingFuncFor</c>: the first map holding the name answers; an unknown name stays <c>$(NAME)</c>.
    /// </summary>
    public static Func<string, string> MappingFor(params IReadOnlyDictionary<string, string>[] contexts) => name =>
    {
        foreach (var vars in contexts)
        {
            if (vars.TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return "$(" + name + ")";
    };

    private static (string Read, bool IsVar, int Advance) TryReadVariableName(ReadOnlySpan<char> input)
    {
        switch (input[0])
        {
            case '$':
                return ("$", false, 1);
            case '(':
                for (var i = 1; i < input.Length; i++)
                {
                    if (input[i] == ')')
                    {
                        return (input[1..i].ToString(), true, i + 1);
                    }
                }

                return ("$(", false, 1);
            default:
                return ("$" + input[0], false, 1);
        }
    }
}
