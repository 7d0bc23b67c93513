using System.Text;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// The static token file (<c>--token-auth-file</c>), as upstream's <c>token/tokenfile</c>: a CSV file of
/// <c>token,user,uid[,"group1,group2"]</c> read once at start. Lines may have more columns (ignored); blank lines
/// are skipped; a record with an empty token is skipped with a warning; a repeated token keeps its last line.
/// A malformed file (fewer than three columns, a stray quote) is refused at load with its line number.
/// NotApplicable for any token not in the file (tokens of other kinds pass through); Success otherwise.
/// Tokens never appear in warnings or errors. Immutable after load, thread-safe.
/// </summary>
internal sealed class StaticTokenAuthenticator : IAuthenticator
{
    private readonly Dictionary<string, UserInfo> _users;

    public StaticTokenAuthenticator(IReadOnlyDictionary<string, UserInfo> users, IReadOnlyList<string>? warnings = null)
    {
        _users = new Dictionary<string, UserInfo>(users, StringComparer.Ordinal);
        Warnings = warnings ?? [];
    }

    /// <summary>What loading noticed without refusing the file (empty or repeated tokens), by line.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Reads the file; throws <see cref="FormatException"/> naming the line when it is malformed.</summary>
    public static StaticTokenAuthenticator Load(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Parses CSV text with Go's <c>encoding/csv</c> rules (quotes, <c>""</c> escapes, quoted newlines, no comments).</summary>
    public static StaticTokenAuthenticator Parse(TextReader reader, string source)
    {
        var users = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        var warnings = new List<string>();
        var csv = new CsvRecords(reader.ReadToEnd(), source);
        var recordNumber = 0;
        while (csv.Next() is { } record)
        {
            if (record.Fields.Count < 3)
            {
                throw new FormatException($"token file '{source}' line {record.Line}: must have at least 3 columns (token, user name, user uid), found {record.Fields.Count}");
            }

            recordNumber++;
            var token = record.Fields[0];
            if (token.Length == 0)
            {
                warnings.Add($"empty token has been found in token file '{source}', record number '{recordNumber}' (line {record.Line})");
                continue;
            }

            if (users.ContainsKey(token))
            {
                warnings.Add($"duplicate token has been found in token file '{source}', record number '{recordNumber}' (line {record.Line})");
            }

            // Upstream splits the fourth column on commas and keeps empty names; an empty group means nothing, so it is dropped.
            var groups = record.Fields.Count >= 4 ? record.Fields[3].Split(',').Where(g => g.Length > 0) : Enumerable.Empty<string>();
            users[token] = UserInfo.Create(record.Fields[1], groups, record.Fields[2]);
        }

        return new StaticTokenAuthenticator(users, warnings);
    }

    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.BearerToken is { Length: > 0 } token && _users.TryGetValue(token, out var user)
            ? AuthenticationResult.Success(user)
            : AuthenticationResult.NotApplicable);

    private sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

    /// <summary>Go's csv.Reader with FieldsPerRecord = -1, LazyQuotes off, no comment character, leading spaces kept.</summary>
    private sealed class CsvRecords(string text, string source)
    {
        private int _position;
        private int _line = 1;

        public CsvRecord? Next()
        {
            // Blank lines are skipped, as Go does (a line of spaces is a record of one field).
            while (_position < text.Length && (text[_position] == '\n' || (text[_position] == '\r' && Peek(1) == '\n')))
            {
                _position += text[_position] == '\r' ? 2 : 1;
                _line++;
            }

            if (_position >= text.Length)
            {
                return null;
            }

            var start = _line;
            var fields = new List<string>();
            var field = new StringBuilder();
            while (true)
            {
                field.Clear();
                if (_position < text.Length && text[_position] == '"')
                {
                    ReadQuoted(field);
                }
                else
                {
                    ReadBare(field);
                }

                fields.Add(field.ToString());
                if (_position < text.Length && text[_position] == ',')
                {
                    _position++;
                    continue;
                }

                EndOfLine();
                return new CsvRecord(start, fields);
            }
        }

        private void ReadBare(StringBuilder field)
        {
            while (_position < text.Length && text[_position] is not (',' or '\n') && !(text[_position] == '\r' && Peek(1) == '\n'))
            {
                if (text[_position] == '"')
                {
                    throw new FormatException($"token file '{source}' line {_line}: bare \" in non-quoted field");
                }

                field.Append(text[_position++]);
            }
        }

        private void ReadQuoted(StringBuilder field)
        {
            var opened = _line;
            _position++;
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw new FormatException($"token file '{source}' line {opened}: extraneous or missing \" in quoted-field");
                }

                var c = text[_position++];
                if (c == '"')
                {
                    if (Peek(0) == '"')
                    {
                        field.Append('"');
                        _position++;
                        continue;
                    }

                    if (_position < text.Length && text[_position] is not (',' or '\n') && !(text[_position] == '\r' && Peek(1) == '\n'))
                    {
                        throw new FormatException($"token file '{source}' line {_line}: extraneous or missing \" in quoted-field");
                    }

                    return;
                }

                if (c == '\n')
                {
                    _line++;
                }

                // Go turns \r\n inside a quoted field into \n.
                if (c == '\r' && Peek(0) == '\n')
                {
                    continue;
                }

                field.Append(c);
            }
        }

        private void EndOfLine()
        {
            if (_position < text.Length)
            {
                _position += text[_position] == '\r' ? 2 : 1;
                _line++;
            }
        }

        private char Peek(int offset) => _position + offset < text.Length ? text[_position + offset] : '\0';
    }
}
