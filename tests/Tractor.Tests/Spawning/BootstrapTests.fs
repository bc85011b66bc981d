/// The bootstrap line a parent writes to a new child: any field values survive the trip.
module TractorNet.Tests.BootstrapTests

open NUnit.Framework
open FsCheck
open TractorNet.Spawning

let ``any bootstrap survives encoding on one line`` (fd: NonNegativeInt, secret: NonNull<string>, name: NonNull<string>, uid: NonNull<string>, pid: PositiveInt, leads: bool, pooled: bool) =
    let b =
        { ChannelFd = fd.Get
          Secret = secret.Get
          Name = name.Get
          Uid = uid.Get
          ParentPid = pid.Get
          LeadsGroup = leads
          Pooled = pooled }
    let line = Bootstrap.encode b
    not (line.Contains '\n') && not (line.Contains '\r') && Bootstrap.decode line = b

let ``spaces, percent signs and line breaks are escaped`` () =
    let b = { ChannelFd = 7; Secret = "x%y"; Name = "two\nlines"; Uid = "a b"; ParentPid = 42; LeadsGroup = true; Pooled = false }
    let line = Bootstrap.encode b
    Assert.That(line, Is.EqualTo "7 x%25y two%0Alines a%20b 42 1 0")
    Assert.That(Bootstrap.decode line, Is.EqualTo b)

let ``a malformed line is refused`` () =
    Assert.Throws<exn>(fun () -> Bootstrap.decode "a b c" |> ignore) |> ignore
    Assert.Throws<exn>(fun () -> Bootstrap.decode "a b c d 1 1 0%" |> ignore) |> ignore
    Assert.That(Assert.Catch(fun () -> Bootstrap.decode "x s n u 1 0 0" |> ignore), Is.Not.Null, "a descriptor that is not a number")
    Assert.That(Assert.Catch(fun () -> Bootstrap.decode "3 s n u 1 yes 0" |> ignore), Is.Not.Null, "a group flag that is not 0 or 1")

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "BootstrapTests" [
        Register.property 200 [] "any bootstrap survives encoding on one line" ``any bootstrap survives encoding on one line``
        Register.test "spaces, percent signs and line breaks are escaped" ``spaces, percent signs and line breaks are escaped``
        Register.test "a malformed line is refused" ``a malformed line is refused``
    ]
