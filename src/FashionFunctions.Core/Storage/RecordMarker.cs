namespace FashionFunctions.Core.Storage;

/// <summary>
/// A kind of marker row: while <see cref="Holds"/> for a record, its partition has the row
/// <c>{Prefix}{the record's row key}</c>, written and deleted in the same transaction as the change that makes it
/// hold or stop holding. The row carries the record's id and <see cref="Columns"/> (values that do not change while
/// the marker holds), so that what the markers say is one range query, however long the history around them.
/// </summary>
/// <param name="Prefix">Two characters ending in '-', unlike any other row key's start in the partition.</param>
/// <param name="BackfillFilter">The records, among those stored before this kind of marker existed, that may need one.</param>
internal sealed record RecordMarker<T>(string Prefix, Func<T, bool> Holds, string BackfillFilter, Func<T, IReadOnlyDictionary<string, object?>>? Columns = null)
{
    /// <summary>Sorts after every marker of this kind.</summary>
    public string End => Prefix[..^1] + (char)(Prefix[^1] + 1);

    /// <summary>Among the markers, sorting first: says every record it holds for has its marker (those stored
    /// before this kind of marker existed were given theirs).</summary>
    public string CompleteRowKey => Prefix + "!";

    public string RowKeyFor(string recordRowKey) => Prefix + recordRowKey;
}
