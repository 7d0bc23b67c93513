using System.Diagnostics.CodeAnalysis;

namespace Kubesharp.Api.Selectors;

/// <summary>
/// The query-string grammar of label selectors, with upstream v1.32's lexer decisions and error texts
/// (<c>labels.Parse</c>):
/// <code>
/// selector    := requirement ("," requirement)*
/// requirement := "!" KEY | KEY [ ("in" | "notin") "(" values ")" | ("=" | "==" | "!=" | "&gt;" | "&lt;") [VALUE] ]
/// </code>
/// Whitespace is space, tab, CR and LF. An identifier is any run of other characters that are not one
/// of <c>=!(),&gt;&lt;</c>; <c>in</c> and <c>notin</c> are keywords only where an operator is expected.
/// Stateless and thread-safe.
/// </summary>
internal static class LabelSelectorParser
{
    private enum Kind
    {
        EndOfString,
        ClosedPar,
        Comma,
        DoesNotExist,
        DoubleEquals,
        Equals,
        GreaterThan,
        Identifier,
        In,
        LessThan,
        NotEquals,
        NotIn,
        OpenPar,
    }

    /// <summary>Parses; the requirements come back in the order written (the selector sorts them).</summary>
    public static bool TryParse(string selector, out List<LabelRequirement> requirements, [NotNullWhen(false)] out string? error)
    {
        requirements = [];
        var p = new Cursor(Scan(selector));
        error = ParseSelector(ref p, requirements);
        if (error is not null)
        {
            requirements = [];
            return false;
        }

        return true;
    }

    private static string? ParseSelector(ref Cursor p, List<LabelRequirement> requirements)
    {
        while (true)
        {
            var (kind, literal) = p.Peek(values: true);
            switch (kind)
            {
                case Kind.Identifier or Kind.DoesNotExist:
                    var error = ParseRequirement(ref p, out var requirement);
                    if (error is not null)
                    {
                        return "unable to parse requirement: " + error;
                    }

                    requirements.Add(requirement!);
                    var (next, nextLiteral) = p.Next(values: true);
                    switch (next)
                    {
                        case Kind.EndOfString:
                            return null;
                        case Kind.Comma:
                            var (after, afterLiteral) = p.Peek(values: true);
                            if (after is not (Kind.Identifier or Kind.DoesNotExist))
                            {
                                return $"found '{afterLiteral}', expected: identifier after ','";
                            }

                            break;
                        default:
                            return $"found '{nextLiteral}', expected: ',' or 'end of string'";
                    }

                    break;
                case Kind.EndOfString:
                    return null;
                default:
                    return $"found '{literal}', expected: !, identifier, or 'end of string'";
            }
        }
    }

    private static string? ParseRequirement(ref Cursor p, out LabelRequirement? requirement)
    {
        requirement = null;
        LabelSelectorOperator? op = null;
        var (kind, key) = p.Next(values: true);
        if (kind == Kind.DoesNotExist)
        {
            op = LabelSelectorOperator.DoesNotExist;
            (kind, key) = p.Next(values: true);
        }

        if (kind != Kind.Identifier)
        {
            return $"found '{key}', expected: identifier";
        }

        var keyErrs = LabelValidation.IsQualifiedName(key);
        if (keyErrs.Count != 0)
        {
            // Upstream checks the key here with a nil field path, which Go prints as "<nil>".
            return LabelRequirement.InvalidValue("<nil>", GoText.Quote(key), string.Join("; ", keyErrs));
        }

        if (op is null && p.Peek(values: true).Kind is Kind.EndOfString or Kind.Comma)
        {
            op = LabelSelectorOperator.Exists;
        }

        // "!key" takes no operator even when one follows: the caller then fails on the token after the key.
        if (op is null)
        {
            var (opKind, opLiteral) = p.Next(values: false);
            op = opKind switch
            {
                Kind.In => LabelSelectorOperator.In,
                Kind.NotIn => LabelSelectorOperator.NotIn,
                Kind.Equals => LabelSelectorOperator.Equals,
                Kind.DoubleEquals => LabelSelectorOperator.DoubleEquals,
                Kind.NotEquals => LabelSelectorOperator.NotEquals,
                Kind.GreaterThan => LabelSelectorOperator.GreaterThan,
                Kind.LessThan => LabelSelectorOperator.LessThan,
                _ => null,
            };
            if (op is null)
            {
                return $"found '{opLiteral}', expected: in, notin, =, ==, !=, gt, lt";
            }
        }

        var values = new SortedSet<string>(Comparer<string>.Create(GoText.CompareCodePoints));
        var valueError = op switch
        {
            LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist => null,
            LabelSelectorOperator.In or LabelSelectorOperator.NotIn => ParseValueSet(ref p, values),
            _ => ParseExactValue(ref p, values),
        };
        if (valueError is not null)
        {
            return valueError;
        }

        return LabelRequirement.TryCreate(key, op.Value, [.. values], out requirement, out var error) ? null : error;
    }

    // "(" values ")" where values may be empty or hold empty entries: "()", "(a,)", "(,a)" all name "".
    private static string? ParseValueSet(ref Cursor p, SortedSet<string> values)
    {
        var (open, openLiteral) = p.Next(values: true);
        if (open != Kind.OpenPar)
        {
            return $"found '{openLiteral}' expected: '('";
        }

        var (kind, literal) = p.Peek(values: true);
        switch (kind)
        {
            case Kind.ClosedPar:
                p.Next(values: true);
                values.Add("");
                return null;
            case Kind.Identifier or Kind.Comma:
                var error = ParseValueList(ref p, values);
                if (error is not null)
                {
                    return error;
                }

                p.Next(values: true); // the ")" that ended the list
                return null;
            default:
                return $"found '{literal}', expected: ',', ')' or identifier";
        }
    }

    private static string? ParseValueList(ref Cursor p, SortedSet<string> values)
    {
        while (true)
        {
            var (kind, literal) = p.Next(values: true);
            switch (kind)
            {
                case Kind.Identifier:
                    values.Add(literal);
                    var (after, afterLiteral) = p.Peek(values: true);
                    if (after == Kind.ClosedPar)
                    {
                        return null;
                    }

                    if (after != Kind.Comma)
                    {
                        return $"found '{afterLiteral}', expected: ',' or ')'";
                    }

                    break;
                case Kind.Comma:
                    if (values.Count == 0)
                    {
                        values.Add("");
                    }

                    var next = p.Peek(values: true).Kind;
                    if (next == Kind.ClosedPar)
                    {
                        values.Add("");
                        return null;
                    }

                    if (next == Kind.Comma)
                    {
                        // v1.32 consumes the second comma of ",," here, so "(a,,)" and "(,,)" are errors
                        // in v1.32 (later releases accept them); we match v1.32.
                        p.Next(values: true);
                        values.Add("");
                    }

                    break;
                default:
                    return $"found '{literal}', expected: ',', or identifier";
            }
        }
    }

    private static string? ParseExactValue(ref Cursor p, SortedSet<string> values)
    {
        if (p.Peek(values: true).Kind is Kind.EndOfString or Kind.Comma)
        {
            values.Add("");
            return null;
        }

        var (kind, literal) = p.Next(values: true);
        if (kind != Kind.Identifier)
        {
            return $"found '{literal}', expected: identifier";
        }

        values.Add(literal);
        return null;
    }

    private static List<(Kind Kind, string Literal)> Scan(string s)
    {
        var tokens = new List<(Kind, string)>();
        var lexer = new Lexer(s);
        while (true)
        {
            var token = lexer.Lex();
            tokens.Add(token);
            if (token.Kind == Kind.EndOfString)
            {
                return tokens;
            }
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

    private static Kind? SpecialKind(ReadOnlySpan<char> s) => s switch
    {
        ")" => Kind.ClosedPar,
        "," => Kind.Comma,
        "!" => Kind.DoesNotExist,
        "==" => Kind.DoubleEquals,
        "=" => Kind.Equals,
        ">" => Kind.GreaterThan,
        "<" => Kind.LessThan,
        "!=" => Kind.NotEquals,
        "(" => Kind.OpenPar,
        _ => null,
    };

    /// <summary>
    /// Upstream's lexer reads one character at a time and sees the end of input as NUL; a NUL in the
    /// input therefore ends the input where a token would start and ends the token it interrupts,
    /// and we keep that behaviour rather than guess at a better one.
    /// </summary>
    private struct Lexer(string s)
    {
        private int _pos;

        public (Kind Kind, string Literal) Lex()
        {
            var c = Read();
            while (IsWhitespace(c))
            {
                c = Read();
            }

            if (c == '\0')
            {
                return (Kind.EndOfString, "");
            }

            _pos--;
            return IsSpecial(c) ? ScanSpecial() : ScanIdentifierOrKeyword();
        }

        private char Read() => _pos < s.Length ? s[_pos++] : '\0';

        private (Kind, string) ScanIdentifierOrKeyword()
        {
            var start = _pos;
            var end = start;
            while (true)
            {
                var c = Read();
                if (c == '\0')
                {
                    break;
                }

                if (IsSpecial(c) || IsWhitespace(c))
                {
                    _pos--;
                    break;
                }

                end = _pos;
            }

            var literal = s[start..end];
            return literal switch
            {
                "in" => (Kind.In, literal),
                "notin" => (Kind.NotIn, literal),
                _ => (Kind.Identifier, literal),
            };
        }

        // The longest run of special characters that is still a token: "!=" and "==" over "!" and "=".
        private (Kind, string) ScanSpecial()
        {
            var start = _pos;
            Kind? found = null;
            var end = start;
            while (true)
            {
                var c = Read();
                if (c == '\0')
                {
                    break;
                }

                if (!IsSpecial(c))
                {
                    _pos--;
                    break;
                }

                var kind = SpecialKind(s.AsSpan(start, _pos - start));
                if (kind is null)
                {
                    _pos--;
                    break;
                }

                found = kind;
                end = _pos;
            }

            return (found!.Value, s[start..end]);
        }
    }

    private struct Cursor(List<(Kind Kind, string Literal)> tokens)
    {
        private int _position;

        /// <summary>The next token; where values are expected, <c>in</c> and <c>notin</c> are plain identifiers.</summary>
        public readonly (Kind Kind, string Literal) Peek(bool values) => Demote(tokens[_position], values);

        public (Kind Kind, string Literal) Next(bool values) => Demote(tokens[_position++], values);

        private static (Kind, string) Demote((Kind Kind, string Literal) token, bool values) =>
            values && (token.Kind is Kind.In or Kind.NotIn) ? (Kind.Identifier, token.Literal) : token;
    }
}
