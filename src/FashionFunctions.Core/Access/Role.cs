namespace FashionFunctions.Core.Access;

/// <summary>What a caller may do; each role may do everything the ones below it may.</summary>
public enum Role
{
    /// <summary>Known (signed in) but given no role: only what anyone may call.</summary>
    None = 0,

    /// <summary>Classify images, list and read models.</summary>
    Classifier = 1,

    /// <summary>Also create, read, stream and cancel its own training jobs and sweeps.</summary>
    Trainer = 2,

    /// <summary>Everything: promote and delete models, read and cancel anyone's jobs and sweeps.</summary>
    Admin = 3,
}
