//! The AST walk: one pass over a module that opens a scope for every module, function, class,
//! lambda, comprehension and PEP 695 annotation scope, and records each scope's symbols and
//! imports. It mirrors ty's `SemanticIndexBuilder` in where each sub-expression is evaluated
//! (decorators and defaults outside the function, the first iterator of a comprehension in the
//! enclosing scope, walrus targets in the nearest non-comprehension scope), but records only
//! names, not use-def chains.

use std::collections::BTreeMap;
use std::sync::Arc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, Comprehension, ExceptHandler, Expr, ExprContext, ModModule, Parameters, Pattern,
    Stmt, TypeParam,
};
use ruff_text_size::TextRange;

use super::infer::{InferExpr, ModuleBinding, ScopeInference};
use super::{FileIndex, FileScopeId, ImportKind, ImportRef, ScopeData, ScopeKind, SymbolFlags};
use super::{Symbol, SymbolTable};

/// Walks `module` once and returns its scopes; never fails, whatever syntax errors the parser
/// recovered from.
pub fn build_file_index(module: &ModModule) -> FileIndex {
    let mut builder = IndexBuilder::default();
    builder.push_scope(ScopeKind::Module, "<module>".to_owned(), module.range);
    builder.visit_body(&module.body);
    builder.pop_scope();
    builder.finish()
}

struct ScopeBuilder {
    kind: ScopeKind,
    name: String,
    parent: Option<FileScopeId>,
    range: TextRange,
    symbols: BTreeMap<String, SymbolFlags>,
    imports: Vec<ImportRef>,
    inference: ScopeInference,
}

#[derive(Default)]
struct IndexBuilder {
    scopes: Vec<ScopeBuilder>,
    /// The scopes currently open, innermost last.
    stack: Vec<usize>,
}

impl IndexBuilder {
    fn push_scope(&mut self, kind: ScopeKind, name: String, range: TextRange) {
        let parent = self.stack.last().map(|&index| scope_id(index));
        self.stack.push(self.scopes.len());
        self.scopes.push(ScopeBuilder {
            kind,
            name,
            parent,
            range,
            symbols: BTreeMap::new(),
            imports: Vec::new(),
            inference: ScopeInference::default(),
        });
    }

    fn pop_scope(&mut self) {
        self.stack.pop();
    }

    fn current(&self) -> usize {
        self.stack.last().copied().unwrap_or(0)
    }

    fn add_symbol_in(&mut self, scope: usize, name: &str, flags: SymbolFlags) {
        let Some(scope) = self.scopes.get_mut(scope) else {
            return;
        };
        let entry = scope.symbols.entry(name.to_owned()).or_default();
        *entry = *entry | flags;
    }

    fn add_symbol(&mut self, name: &str, flags: SymbolFlags) {
        self.add_symbol_in(self.current(), name, flags);
    }

    /// Records a module-level binding for inference, if the current scope is the module's.
    fn add_module_binding(&mut self, name: &str, binding: ModuleBinding) {
        if self.current() == 0
            && let Some(module) = self.scopes.first_mut()
        {
            module.inference.bindings.push((name.to_owned(), binding));
        }
    }

    fn add_import(&mut self, import: ImportRef) {
        let current = self.current();
        if let Some(scope) = self.scopes.get_mut(current) {
            scope.imports.push(import);
        }
    }

    /// The scope a walrus target binds in: the nearest one that is not a comprehension.
    fn walrus_scope(&self) -> usize {
        self.stack
            .iter()
            .rev()
            .copied()
            .find(|&index| self.scopes[index].kind != ScopeKind::Comprehension)
            .unwrap_or(0)
    }

    fn finish(self) -> FileIndex {
        let scopes = self
            .scopes
            .into_iter()
            .map(|scope| ScopeData {
                kind: scope.kind,
                name: scope.name,
                parent: scope.parent,
                range: (scope.range.start().into(), scope.range.end().into()),
                table: Arc::new(SymbolTable {
                    symbols: scope
                        .symbols
                        .into_iter()
                        .map(|(name, flags)| Symbol { name, flags })
                        .collect(),
                    imports: scope.imports,
                }),
                inference: Arc::new({
                    let mut inference = scope.inference;
                    inference.calls.sort();
                    inference.calls.dedup();
                    inference
                }),
            })
            .collect();
        FileIndex { scopes }
    }

    /// Parameter defaults are evaluated where the `def`/`lambda` is, before its scope opens.
    fn visit_parameter_defaults(&mut self, parameters: &Parameters) {
        for parameter in parameters.iter_non_variadic_params() {
            if let Some(default) = &parameter.default {
                self.visit_expr(default);
            }
        }
    }

    fn visit_parameter_annotations(&mut self, parameters: &Parameters) {
        for parameter in parameters.iter() {
            if let Some(annotation) = parameter.annotation() {
                self.visit_annotation(annotation);
            }
        }
    }

    fn bind_parameters(&mut self, parameters: &Parameters) {
        for parameter in parameters.iter() {
            self.add_symbol(
                parameter.name().as_str(),
                SymbolFlags::BOUND | SymbolFlags::PARAMETER,
            );
        }
    }

    /// Opens the PEP 695 annotation scope when there are type parameters; returns whether it
    /// did, so the caller closes it.
    fn push_type_params(&mut self, type_params: Option<&ast::TypeParams>, name: &str) -> bool {
        let Some(type_params) = type_params else {
            return false;
        };
        self.push_scope(ScopeKind::TypeParams, name.to_owned(), type_params.range);
        self.visit_type_params(type_params);
        true
    }

    fn visit_function_def(&mut self, function: &ast::StmtFunctionDef) {
        for decorator in &function.decorator_list {
            self.visit_decorator(decorator);
        }
        self.visit_parameter_defaults(&function.parameters);
        self.add_symbol(function.name.as_str(), SymbolFlags::BOUND);
        let at_module = self.current() == 0;
        let has_type_params =
            self.push_type_params(function.type_params.as_deref(), function.name.as_str());
        self.visit_parameter_annotations(&function.parameters);
        if let Some(returns) = &function.returns {
            self.visit_annotation(returns);
        }
        // The function's scope is the next one opened (after its type parameters').
        let scope = ModuleBinding::Def(scope_id(self.scopes.len()));
        if at_module && let Some(module) = self.scopes.first_mut() {
            module
                .inference
                .bindings
                .push((function.name.to_string(), scope));
        }
        self.push_scope(
            ScopeKind::Function,
            function.name.to_string(),
            function.range,
        );
        self.bind_parameters(&function.parameters);
        self.visit_body(&function.body);
        self.pop_scope();
        if has_type_params {
            self.pop_scope();
        }
    }

    fn visit_class_def(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_decorator(decorator);
        }
        self.add_symbol(class.name.as_str(), SymbolFlags::BOUND);
        self.add_module_binding(class.name.as_str(), ModuleBinding::Class);
        if self.current() == 0
            && let Some(module) = self.scopes.first_mut()
        {
            let bases = class
                .arguments
                .iter()
                .flat_map(|arguments| arguments.args.iter())
                .filter_map(|base| base.as_name_expr().map(|name| name.id.to_string()))
                .collect();
            module
                .inference
                .class_bases
                .push((class.name.to_string(), bases));
        }
        let has_type_params =
            self.push_type_params(class.type_params.as_deref(), class.name.as_str());
        if let Some(arguments) = &class.arguments {
            self.visit_arguments(arguments);
        }
        self.push_scope(ScopeKind::Class, class.name.to_string(), class.range);
        self.visit_body(&class.body);
        self.pop_scope();
        if has_type_params {
            self.pop_scope();
        }
    }

    fn visit_type_alias(&mut self, alias: &ast::StmtTypeAlias) {
        self.visit_expr(&alias.name);
        let name = match alias.name.as_ref() {
            Expr::Name(name) => name.id.to_string(),
            _ => "<type alias>".to_owned(),
        };
        let has_type_params = self.push_type_params(alias.type_params.as_deref(), &name);
        self.push_scope(ScopeKind::TypeAlias, name, alias.range);
        self.visit_expr(&alias.value);
        self.pop_scope();
        if has_type_params {
            self.pop_scope();
        }
    }

    fn visit_import(&mut self, import: &ast::StmtImport) {
        for alias in &import.names {
            let dotted = alias.name.as_str();
            let bound = match &alias.asname {
                Some(asname) => asname.as_str(),
                None => dotted.split('.').next().unwrap_or(dotted),
            };
            self.add_symbol(bound, SymbolFlags::BOUND | SymbolFlags::IMPORTED);
            self.add_import(ImportRef {
                level: 0,
                module: Some(dotted.to_owned()),
                kind: ImportKind::Module,
            });
        }
    }

    fn visit_import_from(&mut self, import: &ast::StmtImportFrom) {
        let module = import.module.as_ref().map(|module| module.to_string());
        for alias in &import.names {
            let name = alias.name.as_str();
            let kind = if name == "*" {
                ImportKind::Star
            } else {
                let bound = alias.asname.as_ref().map_or(name, |asname| asname.as_str());
                self.add_symbol(bound, SymbolFlags::BOUND | SymbolFlags::IMPORTED);
                let import = ImportRef {
                    level: import.level,
                    module: module.clone(),
                    kind: ImportKind::Member(name.to_owned()),
                };
                self.add_module_binding(bound, ModuleBinding::Import(import, name.to_owned()));
                ImportKind::Member(name.to_owned())
            };
            self.add_import(ImportRef {
                level: import.level,
                module: module.clone(),
                kind,
            });
        }
    }

    /// A comprehension: its first iterator is evaluated in the enclosing scope, everything else
    /// (targets, conditions, later iterators, the element) in its own scope.
    fn visit_comprehension_scope(
        &mut self,
        name: &str,
        range: TextRange,
        generators: &[Comprehension],
        elements: &[&Expr],
    ) {
        if let Some(first) = generators.first() {
            self.visit_expr(&first.iter);
        }
        self.push_scope(ScopeKind::Comprehension, name.to_owned(), range);
        for (position, generator) in generators.iter().enumerate() {
            if position > 0 {
                self.visit_expr(&generator.iter);
            }
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.pop_scope();
    }
}

fn scope_id(index: usize) -> FileScopeId {
    FileScopeId(u32::try_from(index).unwrap_or(u32::MAX))
}

impl<'a> Visitor<'a> for IndexBuilder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => self.visit_function_def(function),
            Stmt::ClassDef(class) => self.visit_class_def(class),
            Stmt::TypeAlias(alias) => self.visit_type_alias(alias),
            Stmt::Import(import) => self.visit_import(import),
            Stmt::ImportFrom(import) => self.visit_import_from(import),
            Stmt::Global(global) => {
                for name in &global.names {
                    self.add_symbol(name.as_str(), SymbolFlags::GLOBAL);
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.add_symbol(name.as_str(), SymbolFlags::NONLOCAL);
                }
            }
            Stmt::Return(ret) => {
                let current = self.current();
                if let Some(scope) = self
                    .scopes
                    .get_mut(current)
                    .filter(|scope| scope.kind == ScopeKind::Function)
                {
                    let value = ret
                        .value
                        .as_deref()
                        .map_or(InferExpr::NoneLit, InferExpr::of);
                    scope.inference.returns.push(value);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Assign(assign) => {
                if let [Expr::Name(target)] = assign.targets.as_slice() {
                    let value = ModuleBinding::Value(InferExpr::of(&assign.value));
                    self.add_module_binding(target.id.as_str(), value);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AugAssign(assign) => {
                // `x += 1` reads `x` before binding it.
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.add_symbol(name.id.as_str(), SymbolFlags::USED | SymbolFlags::BOUND);
                } else {
                    self.visit_expr(&assign.target);
                }
                self.visit_expr(&assign.value);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && let Expr::Name(callee) = call.func.as_ref()
        {
            let current = self.current();
            if let Some(scope) = self.scopes.get_mut(current) {
                scope.inference.calls.push(callee.id.to_string());
            }
        }
        match expr {
            Expr::Name(name) => {
                let flags = match name.ctx {
                    ExprContext::Load => SymbolFlags::USED,
                    ExprContext::Store | ExprContext::Del => SymbolFlags::BOUND,
                    ExprContext::Invalid => return,
                };
                self.add_symbol(name.id.as_str(), flags);
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                if let Expr::Name(target) = named.target.as_ref() {
                    let scope = self.walrus_scope();
                    self.add_symbol_in(scope, target.id.as_str(), SymbolFlags::BOUND);
                } else {
                    self.visit_expr(&named.target);
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameter_defaults(parameters);
                }
                self.push_scope(ScopeKind::Lambda, "<lambda>".to_owned(), lambda.range);
                if let Some(parameters) = &lambda.parameters {
                    self.bind_parameters(parameters);
                }
                self.visit_expr(&lambda.body);
                self.pop_scope();
            }
            Expr::ListComp(comp) => {
                self.visit_comprehension_scope(
                    "<listcomp>",
                    comp.range,
                    &comp.generators,
                    &[&comp.elt],
                );
            }
            Expr::SetComp(comp) => {
                self.visit_comprehension_scope(
                    "<setcomp>",
                    comp.range,
                    &comp.generators,
                    &[&comp.elt],
                );
            }
            Expr::Generator(comp) => {
                self.visit_comprehension_scope(
                    "<genexpr>",
                    comp.range,
                    &comp.generators,
                    &[&comp.elt],
                );
            }
            Expr::DictComp(comp) => {
                let mut elements: Vec<&Expr> = Vec::with_capacity(2);
                if let Some(key) = &comp.key {
                    elements.push(key);
                }
                elements.push(&comp.value);
                self.visit_comprehension_scope(
                    "<dictcomp>",
                    comp.range,
                    &comp.generators,
                    &elements,
                );
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.add_symbol(name.as_str(), SymbolFlags::BOUND);
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        let captured = match pattern {
            Pattern::MatchAs(pattern) => pattern.name.as_ref(),
            Pattern::MatchStar(pattern) => pattern.name.as_ref(),
            Pattern::MatchMapping(pattern) => pattern.rest.as_ref(),
            _ => None,
        };
        if let Some(name) = captured {
            self.add_symbol(name.as_str(), SymbolFlags::BOUND);
        }
        visitor::walk_pattern(self, pattern);
    }

    fn visit_type_param(&mut self, type_param: &'a TypeParam) {
        self.add_symbol(
            type_param.name().as_str(),
            SymbolFlags::BOUND | SymbolFlags::PARAMETER,
        );
        visitor::walk_type_param(self, type_param);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(source: &str) -> FileIndex {
        let parsed = ruff_python_parser::parse_unchecked_source(
            source,
            ruff_python_ast::PySourceType::Python,
        );
        build_file_index(parsed.syntax())
    }

    fn shape(index: &FileIndex) -> Vec<(ScopeKind, &str, Option<u32>)> {
        index
            .scopes
            .iter()
            .map(|scope| (scope.kind, scope.name.as_str(), scope.parent.map(|p| p.0)))
            .collect()
    }

    #[test]
    fn every_construct_opens_its_scope() {
        let index = index(
            "def f[T](x: T) -> T:\n    return [y for y in x]\n\
             class C[U]:\n    g = lambda a: {k: a for k in ()}\n\
             type Alias[V] = list[V]\n",
        );
        use ScopeKind::*;
        assert_eq!(
            shape(&index),
            vec![
                (Module, "<module>", None),
                (TypeParams, "f", Some(0)),
                (Function, "f", Some(1)),
                (Comprehension, "<listcomp>", Some(2)),
                (TypeParams, "C", Some(0)),
                (Class, "C", Some(4)),
                (Lambda, "<lambda>", Some(5)),
                (Comprehension, "<dictcomp>", Some(6)),
                (TypeParams, "Alias", Some(0)),
                (TypeAlias, "Alias", Some(8)),
            ]
        );
    }

    #[test]
    fn first_iterator_and_walrus_belong_outside_the_comprehension() {
        let index = index("def f(xs):\n    return [(n := y) for y in xs if y]\n");
        let function = &index.scopes[1].table;
        assert!(
            function
                .get("xs")
                .is_some_and(|s| s.flags.contains(SymbolFlags::USED))
        );
        assert!(function.binds("n"));
        let comprehension = &index.scopes[2].table;
        assert!(comprehension.binds("y") && comprehension.get("xs").is_none());
    }

    #[test]
    fn imports_globals_and_nonlocals_are_recorded() {
        let index = index(
            "import a.b.c, d as e\nfrom ..p import q as r, *\n\
             def f():\n    global g\n    x = 1\n    def h():\n        nonlocal x\n        x += 1\n",
        );
        let module = &index.scopes[0].table;
        assert!(module.binds("a") && module.binds("e") && module.binds("r"));
        assert_eq!(module.imports.len(), 4);
        assert_eq!(module.star_imports().count(), 1);
        assert_eq!(module.imports[2].display_module(), "..p");
        assert!(
            index.scopes[1]
                .table
                .get("g")
                .is_some_and(|s| !s.is_local_binding())
        );
        let inner = index.scopes[2].table.get("x").cloned();
        assert!(inner.is_some_and(|s| s.flags.contains(SymbolFlags::NONLOCAL)));
    }
}
