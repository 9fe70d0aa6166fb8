// The error document of the Lambda Runtime API (POST .../error and
// .../init/error): {"errorMessage", "errorType", "stackTrace"}, read
// leniently since a function may send anything.
#pragma once

#include <string>
#include <string_view>

namespace eventlake::pipeline {

// "<errorType>: <errorMessage>" from the document, the type from the
// Lambda-Runtime-Function-Error-Type header when the document has none;
// a body that is not such a document is quoted. At most about 300 bytes:
// 100 of the type, 200 of the message.
std::string DescribeFunctionError(std::string_view body, std::string_view error_type_header);

}  // namespace eventlake::pipeline
