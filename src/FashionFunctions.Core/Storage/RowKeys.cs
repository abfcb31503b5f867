namespace FashionFunctions.Core.Storage;

/// <summary>Row keys that sort newest first: ids begin with their creation time, and every digit d is written 9-d.</summary>
internal static class RowKeys
{
    public static string NewestFirst(string id) =>
        string.Create(id.Length, id, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiDigit(source[i]) ? (char)('9' - source[i] + '0') : source[i];
            }
        });
}
