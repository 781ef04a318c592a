// The shape of validate-npm-package-name's answer (the package ships no types): npm's own name rule, used as a test oracle.
declare module 'validate-npm-package-name' {
  interface Verdict {
    validForNewPackages: boolean;
    validForOldPackages: boolean;
    warnings?: string[];
    errors?: string[];
  }
  export default function validate(name: string): Verdict;
}
