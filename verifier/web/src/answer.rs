//! What every export of the module answers, as the page reads it.

use govproof_core::json::write_string;

/// One verification's answer: what the page shows and what `govproof verify` would exit with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The verdict line's first words, as the command line prints them (`VALID`, `INVALID`).
    pub verdict: String,
    /// The exit status `govproof verify` ends with for the same inputs (0 valid, 1 error,
    /// 2 rejected, 3 policy not checked, 4 development setup).
    pub exit_code: u8,
    /// The human report, check by check, ending with the verdict.
    pub text: String,
    /// The machine report: a JSON document, embedded as it is.
    pub report_json: String,
}

impl Answer {
    /// The check could not be done (exit 1): `message` is one Cedar-style line.
    pub fn error(message: String) -> Answer {
        let mut report = String::from("{\"result\":\"error\",\"error\":");
        write_string(&message, &mut report);
        report.push('}');
        Answer {
            verdict: "ERROR".to_string(),
            exit_code: 1,
            text: format!("error: {message}\n"),
            report_json: report,
        }
    }

    /// `{"verdict": ..., "exit_code": ..., "text": ..., "report": {...}}`: the report is inlined
    /// as JSON, not as a string.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.report_json.len() + 64);
        out.push_str("{\"verdict\":");
        write_string(&self.verdict, &mut out);
        out.push_str(",\"exit_code\":");
        out.push_str(&self.exit_code.to_string());
        out.push_str(",\"text\":");
        write_string(&self.text, &mut out);
        out.push_str(",\"report\":");
        out.push_str(&self.report_json);
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_answer_is_json_with_the_report_inlined() {
        let answer = Answer {
            verdict: "INVALID".into(),
            exit_code: 2,
            text: "a \"quoted\"\tline\n\u{1}".into(),
            report_json: "{\"result\":\"invalid\"}".into(),
        };
        let value: serde_json::Value = serde_json::from_str(&answer.to_json()).unwrap();
        assert_eq!(value["verdict"], "INVALID");
        assert_eq!(value["exit_code"], 2);
        assert_eq!(value["text"], "a \"quoted\"\tline\n\u{1}");
        assert_eq!(value["report"]["result"], "invalid");
    }
}
